"""S3 operations by resource: the service (buckets), a bucket, an object."""
