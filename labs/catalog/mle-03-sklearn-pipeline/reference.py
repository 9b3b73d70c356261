import joblib
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_pipeline(df: pd.DataFrame, target: str) -> Pipeline:
    features = df.drop(columns=[target])
    numeric = list(features.select_dtypes(include="number").columns)
    categorical = list(features.select_dtypes(exclude="number").columns)
    preprocessor = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
    )
    return Pipeline([("preprocessor", preprocessor), ("classifier", LogisticRegression())])


def train_and_save(csv_path: str, target: str, model_path: str) -> float:
    df = pd.read_csv(csv_path)
    x, y = df.drop(columns=[target]), df[target]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=42, stratify=y
    )
    pipeline = build_pipeline(df, target)
    pipeline.fit(x_train, y_train)
    joblib.dump(pipeline, model_path)
    return float(pipeline.score(x_test, y_test))
