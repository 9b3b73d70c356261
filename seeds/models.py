# Import runs and their reports; filled by the seed import issue.
