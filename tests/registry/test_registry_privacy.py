"""Bulk hashing/encryption match the one-value API; logs never show ID or mobile numbers."""

from __future__ import annotations

import logging
from datetime import date

from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from fanzha.ids import make_id
from fanzha.privacy import MaskingFilter, MaskingFormatter, Protector, install_log_masking, redact

ID = make_id("421202", date(1990, 3, 7), 1)


def _protector() -> Protector:
    return Protector(b"test-hash-key", Fernet.generate_key())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=40))
def test_bulk_hash_and_encrypt_match_single_value_api(values):
    p = _protector()
    assert p.hash_many(values) == [p.hash(v) for v in values]
    tokens = p.encrypt_many(values)
    assert [p.decrypt(t) for t in tokens] == values
    assert len(set(tokens)) == len(tokens), "every token has its own IV"


def test_protector_pickles_for_process_pools():
    import pickle

    p = _protector()
    q = pickle.loads(pickle.dumps(p))
    assert q.hash(ID) == p.hash(ID) and q.decrypt(p.encrypt("张三")) == "张三"


def test_redact():
    text = f"owner {ID} called 13307151234, +8613307151234; cell 4600112345678901"
    masked = redact(text)
    assert ID not in masked and "13307151234" not in masked
    assert "4212**********0017" in masked and "133****1234" in masked
    assert "4600112345678901" in masked, "other digit runs (16-digit) are left alone"


def test_logging_filter_masks_messages_args_and_tracebacks(caplog):
    logger = logging.getLogger("fanzha.test.masking")
    handler = caplog.handler
    handler.addFilter(MaskingFilter())
    try:
        logger.warning("loaded %s for %s", ID, "13307151234")
        try:
            raise ValueError(f"bad row {ID}")
        except ValueError:
            logger.exception("failed")
    finally:
        handler.removeFilter(handler.filters[-1])
    out = caplog.text
    assert ID not in out and "13307151234" not in out
    assert "4212**********0017" in out and "133****1234" in out


def test_masking_formatter_and_install(tmp_path):
    logger = logging.getLogger("fanzha.test.install")
    logger.propagate = False
    path = tmp_path / "log.txt"
    handler = logging.FileHandler(path)
    handler.setFormatter(MaskingFormatter("%(message)s"))
    logger.addHandler(handler)
    install_log_masking(logger)
    install_log_masking(logger)
    assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
    logger.error("id=%s", ID)
    handler.close()
    assert path.read_text().strip() == "id=4212**********0017"
