"""What components share, below everything else: versions, addresses, sizing types, durations, the mirror."""
