"""The S3 API in front of the proxy: buckets are containers and keys are
objects of the account an S3 credential belongs to."""
