"""drift the ranking model."""
import datachain as dc

print(dc.read_dataset("ranker-features").count())
