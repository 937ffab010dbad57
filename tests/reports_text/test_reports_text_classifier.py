"""Report-text classifier: data loading (encodings), keyword fallback, training/persistence, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from fanzha.analytics.reports_text import KeywordClassifier, load_classifier
from fanzha.analytics.reports_text.dataset import data_files, load_folder
from fanzha.analytics.reports_text.labels import CLASSES, to_code
from fanzha.cli import app
from helpers import external

DATA = ("telecom-fraud-texts-5",)


def test_label_aliases_map_to_codes():
    assert to_code("0") == "normal"
    assert to_code("冒充领导、熟人类") == "acquaintance_impersonation"
    assert to_code("冒充客服") == "fake_customer_service"
    with pytest.raises(ValueError):
        to_code("unknown")


def test_gb18030_file_read_and_utf8_twin_preferred(tmp_path):
    rows = pd.DataFrame({"content": ["我是你领导，换号了，加我微信", "老同学，急用钱帮我垫付一下"],
                         "label": ["冒充领导、熟人类"] * 2})
    rows.to_csv(tmp_path / "a.csv", index=False, encoding="gb18030")
    df = load_folder(tmp_path)
    assert df["content"].tolist() == rows["content"].tolist()
    rows.to_csv(tmp_path / "a.utf8.csv", index=False, encoding="utf-8")
    assert [p.name for p in data_files(tmp_path)] == ["a.utf8.csv"]
    assert len(load_folder(tmp_path)) == 2


def test_keyword_fallback_is_used_without_model_and_explains():
    clf = load_classifier()
    assert isinstance(clf, KeywordClassifier)
    preds = clf.predict([
        "对方自称公安局警官，说我涉嫌洗钱，要把钱转到安全账户",
        "有人说能办无抵押低息贷款，先交保证金",
        "自称淘宝客服说商品质量问题要给我退款理赔",
        "一个陌生号码说是我领导，换号了让我帮忙转账",
        "【中国联通】您本月流量已用完，回复TD退订",
    ])
    assert [p.label for p in preds] == ["police_impersonation", "loan_credit", "fake_customer_service",
                                        "acquaintance_impersonation", "normal"]
    assert "安全账户" in preds[0].terms and all(p.method == "keywords" for p in preds)
    for p in preds:
        assert abs(sum(p.probabilities.values()) - 1) < 1e-9 and set(p.probabilities) == set(CLASSES)


@pytest.mark.external
def test_train_persist_predict_on_sample(tmp_path):
    df = load_folder(external(*DATA))
    assert set(df["label"]) == set(CLASSES)
    # GB18030 file decoded: its texts are Chinese, not mojibake.
    acq = df[df["label"] == "acquaintance_impersonation"]["content"]
    assert acq.str.contains("领导|老师|同学|朋友").mean() > 0.3
    sample = df.groupby("label").sample(80, random_state=1)
    data = tmp_path / "data"
    data.mkdir()
    sample.to_csv(data / "sample.csv", index=False)

    res = CliRunner().invoke(app, ["reports", "train-classifier", "--data", str(data), "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert metrics["split"]["test_rows"] == 80 and metrics["macro_f1"] > 0.8

    clf = load_classifier(tmp_path / "m")
    rest = df.drop(sample.index).groupby("label").head(20)
    preds = clf.predict(rest["content"].tolist())
    acc = (pd.Series([p.label for p in preds], index=rest.index) == rest["label"]).mean()
    assert acc > 0.85
    police = clf.predict(["您好，这里是市公安局刑侦支队，您的银行卡涉嫌洗钱，请把资金转入安全账户配合调查"])[0]
    assert police.label == "police_impersonation" and police.method == "model" and police.terms
    assert police.probabilities["police_impersonation"] > 0.5

    out = tmp_path / "pred.csv"
    res = CliRunner().invoke(app, ["reports", "classify", "--model", str(tmp_path / "m"), "--out", str(out),
                                   "朋友，我是你老同学，换新号了，急用钱帮我转一下"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(out)["label"].tolist() == ["acquaintance_impersonation"]
