import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the admin account if no superuser exists (password from ARGUS_ADMIN_PASSWORD, else generated), "
        "then print where everything is (`make run` runs it last, so this banner ends its set-up output)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        user = settings.ARGUS_ADMIN_USER
        if users.objects.filter(is_superuser=True).exists():
            account = "admin account: exists (password unchanged)"
        else:
            password = settings.ARGUS_ADMIN_PASSWORD or secrets.token_urlsafe(12)
            users.objects.create_superuser(username=user, email="", password=password)
            if settings.ARGUS_ADMIN_PASSWORD:
                account = f"admin account: {user!r} created with ARGUS_ADMIN_PASSWORD"
            else:
                # Shown once; it is stored only as a hash.
                account = f"admin account: {user!r}, password {password}  (shown once: note it now)"
        host = "localhost" if settings.ARGUS_HOST in ("0.0.0.0", "127.0.0.1", "::") else settings.ARGUS_HOST
        base = f"http://{host}:{settings.ARGUS_PORT}"
        lines = [
            f"Argus is ready: {base}",
            f"  API:    {base}/api/v1/market_data/latest?symbols=000001.SZ",
            f"  admin:  {base}/admin/",
            f"  docs:   {base}/api/docs/",
            f"  health: {base}/health",
            f"  {account}",
            f"  forgot the password? python manage.py changepassword {user}",
        ]
        width = max(len(line) for line in lines)
        self.stdout.write("\n".join(["=" * width, *lines, "=" * width]))
