# Users and groups are managed through django.contrib.auth's own admin.
