# Submissions and their results; filled by the grading engine issue.
