import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schoolbrug.settings")
django.setup(set_prefix=False)

from schoolbrug.handlers import Application  # noqa: E402 - needs the settings set up

application = Application()
