"""The PM2.5 feature definition shared by training and serving."""
