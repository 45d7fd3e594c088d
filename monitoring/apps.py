from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from monitoring.services.logins import on_user_login_failed

        user_login_failed.connect(on_user_login_failed, dispatch_uid="argus-admin-login-lockout")
