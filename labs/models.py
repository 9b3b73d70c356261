# The lab catalogue; filled by the grading engine issue.
