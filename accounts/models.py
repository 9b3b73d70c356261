# Accounts use django.contrib.auth's User; roles are its groups (see accounts/roles.py).
