# expect-fail: pipeline_structure
# Numeric columns passed through unscaled: the accuracy may still be fine here, but the
# pipeline is not the one the task asks for (StandardScaler on the numeric columns).
import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder


def build_pipeline(df, target):
    features = df.drop(columns=[target])
    categorical = list(features.select_dtypes(exclude="number").columns)
    preprocessor = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), categorical)], remainder="passthrough"
    )
    return Pipeline(
        [("preprocessor", preprocessor), ("classifier", LogisticRegression(max_iter=5000))]
    )


def train_and_save(csv_path, target, model_path):
    df = pd.read_csv(csv_path)
    x, y = df.drop(columns=[target]), df[target]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    pipeline = build_pipeline(df, target).fit(x_train, y_train)
    joblib.dump(pipeline, model_path)
    return float(pipeline.score(x_test, y_test))
