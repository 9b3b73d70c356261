# expect-fail: pipeline_accuracy, unseen_category, saved_model, reported_accuracy, pipeline_structure
# expect-score: 0
# Returns an estimator that was never told about the columns, and a made-up accuracy.
from sklearn.linear_model import LogisticRegression


def build_pipeline(df, target):
    return LogisticRegression()


def train_and_save(csv_path, target, model_path):
    return 0.9
