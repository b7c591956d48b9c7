"""Settings, the rules, the cloud-agnostic mesh graph, and one stack builder per cloud."""
