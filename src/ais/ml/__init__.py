"""Models of AIS: the feature matrix, training, the registry, inference and risk bands.

Non-Spark Python: reads and writes Iceberg with PyIceberg, trains with LightGBM (XGBoost optional).
"""
