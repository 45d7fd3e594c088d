import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin account if no superuser exists (password from ARGUS_ADMIN_PASSWORD, else generated)."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("admin account exists; nothing to do")
            return
        password = settings.ARGUS_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        users.objects.create_superuser(username=settings.ARGUS_ADMIN_USER, email="", password=password)
        if settings.ARGUS_ADMIN_PASSWORD:
            self.stdout.write(f"created admin user {settings.ARGUS_ADMIN_USER!r} with ARGUS_ADMIN_PASSWORD")
        else:
            # Shown once; it is stored only as a hash.
            self.stdout.write(f"created admin user {settings.ARGUS_ADMIN_USER!r}, password: {password}")
