"""Settings: FANZHA_* environment variables, an optional TOML file, and defaults that need nothing.

No engine, connection or key is created at import; call :func:`get_settings` when needed.
The config file is ``$FANZHA_CONFIG`` if set, else ``fanzha.toml`` in the working directory if present.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _config_file() -> Path | None:
    explicit = os.environ.get("FANZHA_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"FANZHA_CONFIG points to {path}, which does not exist")
        return path
    local = Path("fanzha.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FANZHA_", extra="ignore")

    mode: Literal["development", "production"] = "development"
    home: Path = Field(default=Path("fanzha-data"), description="where the database, stores and keys live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite file in home")
    # Keyed hash of ID numbers (HMAC-SHA256) and encryption of the clear copy (Fernet).
    hash_key: str | None = None
    data_key: str | None = None
    spark_master: str = "local[2]"
    # DuckDB's memory cap for analytics (e.g. "4GB"); past it, aggregates and sorts spill to a temp
    # folder instead of growing. Unset: DuckDB's default (80 % of RAM).
    duckdb_memory_limit: str | None = None
    report_model_dir: Path | None = Field(default=None, description="trained 12321 report classifier; unset: keyword rules")
    log_level: str = "INFO"
    # Tracing (溯源): the association graph the web app and `fanzha trace` read (`fanzha graph build --out`).
    graph_dir: Path | None = Field(default=None, description="association graph folder; default: home/graph")

    # Web and accounts (see SECURITY.md). Cookie `Secure` defaults to on in production, off in
    # development so http://127.0.0.1 works; set FANZHA_COOKIE_SECURE=true behind TLS.
    cookie_secure: bool | None = None
    session_hours: float = Field(default=8.0, description="absolute lifetime of a login session")
    session_idle_minutes: float = Field(default=30.0, description="a session unused this long expires")
    login_max_failures: int = Field(default=5, description="consecutive wrong passwords before lockout")
    lockout_minutes: float = Field(default=15.0, description="how long a locked account stays locked")
    rate_login_per_minute: int = Field(default=10, description="login attempts per client address per minute")
    rate_query_per_minute: int = Field(default=60, description="personal-data queries per user per minute")
    max_request_bytes: int = Field(default=1_000_000, description="larger request bodies are refused (413)")
    max_upload_bytes: int = Field(default=20_000_000, description="largest file a page import takes (bigger: the CLI)")
    web_db_concurrency: int = Field(default=3, ge=1, description="requests that work in the database at once in "
                                    "one web process (more wait in its event loop: extra threads only contend for "
                                    "Python's GIL; run more processes with `fanzha serve --workers N`)")
    # Argon2id cost (RFC 9106 second recommendation by default). Tests lower it; production must not.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    # Casework (alerts, cases, three-level review, measures, appeals); see casework/cases/README in the docs.
    alert_merge_hours: float = Field(default=24.0, description="alerts on one subject this close in time merge")
    auto_suspend_score: float = Field(default=0.97, description="alerts scoring at least this suspend the line at "
                                      "once (reviewed afterwards); above 1 disables auto-suspension")
    l3_line_count: int = Field(default=5, description="a measure on at least this many lines needs 三级稽核 (L3)")
    case_sla_hours: dict[str, float] = Field(
        default={"open": 1.0, "l1_verified": 4.0, "awaiting_l3": 8.0},
        description="hours a case may stay in a review state before it shows as overdue",
    )
    appeal_sla_hours: float = Field(default=48.0, description="an appeal must be decided within this many hours")
    # Public desk: 12321 reports and market-regulation tips (docs/public-desk.md).
    report_sla_hours: float = Field(default=1.0, description="a reported number must be checked within this many "
                                    "hours of the report's receipt (operator practice: 1 h)")
    report_dedup_hours: float = Field(default=72.0, description="a report of the same number by the same reporter "
                                      "(or with the same text) this close in time is a repeat, not a new report")
    rate_public_form_per_minute: int = Field(default=5, description="public tip submissions per client address per minute")
    bss_adapter: str = Field(default="file", description="measure executor: file, webhook, an entry point name in "
                             "group fanzha.bss_adapters, or module:Class")
    bss_webhook_url: str | None = Field(default=None, description="URL the webhook adapter POSTs orders to")
    bss_webhook_timeout: float = 10.0
    bss_retry_base_seconds: float = Field(default=30.0, description="first retry delay; doubles per failure")
    bss_retry_max_seconds: float = 3600.0
    bss_max_attempts: int = Field(default=12, description="after this many failures an order waits for a manual retry")

    # 24×7 monitoring (fanzha monitor; `fanzha serve` starts it too when monitor_drop is set). docs/monitoring.md
    monitor_drop: Path | None = Field(default=None, description="drop folder the mediation system writes CDR/SMS files to")
    monitor_subscribers: Path | None = Field(default=None, description="contract subscribers file for line facts")
    monitor_cells: Path | None = Field(default=None, description="contract cells file (positions, regions: resold_card)")
    monitor_model_dir: Path | None = Field(default=None, description="MODELDIR from `fanzha train`; default the shipped model")
    monitor_lateness_minutes: float = Field(default=120.0, description="records older than the newest event time "
                                            "minus this are stored but no longer counted in the live windows")
    monitor_poll_seconds: float = Field(default=1.0, description="how often the drop folder is looked at")
    monitor_settle_seconds: float = Field(default=0.5, description="a file unchanged this long is complete")
    monitor_realert_hours: float = Field(default=24.0, description="the monitor raises one alert per subject and "
                                         "detector within this many hours")
    monitor_warning_adapter: str = Field(default="sms_file", description="victim warnings go to: sms_file, call_list, "
                                         "an entry point in group fanzha.warning_adapters, or module:Class")
    monitor_warning_template: Path | None = Field(default=None, description="SMS text with {fraud_tail}; default shipped")
    monitor_warning_dedup_days: float = Field(default=7.0, description="a subscriber is warned at most once this often")
    monitor_warning_max_per_line: int = Field(default=500, description="victims warned per alerted line, best first")
    monitor_elderly_age: int = Field(default=60, description="owners this old or older are warned first")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'fanzha.db').resolve()}"

    @property
    def graph_path(self) -> Path:
        return self.graph_dir if self.graph_dir is not None else self.home / "graph"

    @property
    def monitor_home(self) -> Path:
        """The 24×7 monitor's folder (its store, inbox, state)."""
        return self.home / "monitor"

    @property
    def record_stores(self) -> tuple[Path, Path]:
        """The Parquet call-record stores pages read lines' records from: `fanzha ingest`'s and the monitor's."""
        return self.home / "store", self.monitor_home / "store"

    @property
    def secure_cookies(self) -> bool:
        return self.mode == "production" if self.cookie_secure is None else self.cookie_secure

    def keys(self) -> tuple[bytes, bytes]:
        """(hash_key, data_key). Production requires both set; development keeps generated ones in home."""
        if self.hash_key and self.data_key:
            return self.hash_key.encode(), self.data_key.encode()
        if self.mode == "production":
            raise ConfigError(
                "production mode needs FANZHA_HASH_KEY and FANZHA_DATA_KEY "
                "(generate with `fanzha keys generate`); refusing to start without them"
            )
        return _development_keys(self.home)


def _development_keys(home: Path) -> tuple[bytes, bytes]:
    from cryptography.fernet import Fernet

    path = home / "dev-keys.json"
    if path.is_file():
        data = json.loads(path.read_text())
    else:
        home.mkdir(parents=True, exist_ok=True)
        data = {"hash_key": secrets.token_urlsafe(32), "data_key": Fernet.generate_key().decode()}
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    return data["hash_key"].encode(), data["data_key"].encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and CLI options that change the environment)."""
    get_settings.cache_clear()
