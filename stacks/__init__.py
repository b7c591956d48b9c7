"""Settings, versions, the cloud-agnostic mesh graph, and one stack builder per cloud."""
