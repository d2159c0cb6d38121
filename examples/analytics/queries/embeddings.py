"""Nightly: embed new product images and save them as a dataset."""
import os

import datachain as dc

labels = dc.read_csv("labels.csv")
(
    dc.read_storage("s3://acme-products/images/", type="image")
    .merge(labels, on="file.path", right_on="path")
    .settings(parallel=True)
    .map(embedding=lambda file: file.read().embed(api_key=os.environ["EMBED_API_KEY"]))
    .save("product-embeddings")
)
