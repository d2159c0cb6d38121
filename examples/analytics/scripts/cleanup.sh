#!/bin/sh
# Weekly: drop dataset versions older than 30 days.
datachain dataset ls --json | python -m cleanup --older-than 30d
