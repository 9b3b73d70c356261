# expect-fail: pipeline_accuracy, unseen_category, saved_model, reported_accuracy, pipeline_structure
# expect-score: 0
# The target column is left among the features: training looks perfect (the reported
# accuracy is 1.0), but the model needs the label to predict, and new rows do not have it.
import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_pipeline(df, target):
    numeric = list(df.select_dtypes(include="number").columns)
    categorical = list(df.select_dtypes(exclude="number").columns)
    preprocessor = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return Pipeline([("preprocessor", preprocessor), ("classifier", LogisticRegression())])


def train_and_save(csv_path, target, model_path):
    df = pd.read_csv(csv_path)
    x_train, x_test, y_train, y_test = train_test_split(df, df[target], random_state=42)
    pipeline = build_pipeline(df, target).fit(x_train, y_train)
    joblib.dump(pipeline, model_path)
    return float(pipeline.score(x_test, y_test))
