"""Argus settings, by topic. Every value is read once, from the environment over config/settings.yaml.

Each module below is one topic and reads only its own variables (README, "Configuration", lists
them all): where the process runs and which topology it is, the Django project and its API, the
database, the caches, the data source, live quotes and periodic jobs, pools, security, logs.
"""
# ruff: noqa: I001 - the topics in the order above (no two define the same name)

from argus_site.settings.topology import *  # noqa: F403
from argus_site.settings.server import *  # noqa: F403
from argus_site.settings.database import *  # noqa: F403
from argus_site.settings.caches import *  # noqa: F403
from argus_site.settings.sources import *  # noqa: F403
from argus_site.settings.live import *  # noqa: F403
from argus_site.settings.pools import *  # noqa: F403
from argus_site.settings.security import *  # noqa: F403
from argus_site.settings.logs import *  # noqa: F403
