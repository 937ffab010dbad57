"""Every casework table, imported in one place so Alembic and tests see the whole schema."""

from fanzha.casework.alerts import models as alerts_models  # noqa: F401
from fanzha.casework.appeals import models as appeals_models  # noqa: F401
from fanzha.casework.audit import models as audit_models  # noqa: F401
from fanzha.casework.auth import models as auth_models  # noqa: F401
from fanzha.casework.blacklist import models as blacklist_models  # noqa: F401
from fanzha.casework.onboarding import models as onboarding_models  # noqa: F401
from fanzha.casework.cases import models as cases_models  # noqa: F401
from fanzha.casework.measures import models as measures_models  # noqa: F401
from fanzha.casework.market import models as market_models  # noqa: F401
from fanzha.casework.police import models as police_models  # noqa: F401
from fanzha.casework.monitor import models as monitor_models  # noqa: F401
from fanzha.casework.registry import models as registry_models  # noqa: F401
from fanzha.casework.tracing import models as tracing_models  # noqa: F401
from fanzha.jobs import models as jobs_models  # noqa: F401
from fanzha.casework.reports import models as reports_models  # noqa: F401
from fanzha.db import Base

metadata = Base.metadata
