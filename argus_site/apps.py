from django.apps import AppConfig


class ArgusSiteConfig(AppConfig):
    """The composition root as an app only for its site-level commands (`serve`, `ensure_admin`)."""

    name = "argus_site"
    verbose_name = "Argus site"
