# Courses and their study material; filled by the seed import issue.
