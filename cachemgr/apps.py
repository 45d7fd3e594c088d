from django.apps import AppConfig


class CacheMgrConfig(AppConfig):
    name = "cachemgr"
    verbose_name = "Cache"
