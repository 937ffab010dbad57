"""Every casework table, imported in one place so Alembic and tests see the whole schema."""

from fanzha.casework.registry import models as registry_models  # noqa: F401
from fanzha.db import Base

metadata = Base.metadata
