# expect-fail: model_quality, xgb_type
# The rows shuffled without their targets (each array permuted on its own): the model learns
# noise. SHAP explains it faithfully all the same, which is why the model is judged on its own.
import numpy as np
import shap
import xgboost


def train_model(X, y):
    rng = np.random.default_rng(0)
    model = xgboost.XGBRegressor(n_jobs=1)
    model.fit(X[rng.permutation(len(X))], y[rng.permutation(len(y))])
    return model


def explain(model, X):
    return np.asarray(shap.Explainer(model)(X).values)


def top_features(shap_values, feature_names, k):
    importance = np.abs(shap_values).mean(axis=0)
    return [feature_names[i] for i in np.argsort(-importance)[:k]]
