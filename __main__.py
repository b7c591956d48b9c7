"""Entry point: parse the stack's settings (nothing is registered if they are invalid), then build its cloud."""

import pulumi

from settings.loader import load_from_pulumi_config
from stacks import aws, gcp, local, multicluster

STACK_BUILDERS = {"local": local.build, "gcp": gcp.build, "aws": aws.build}

settings = load_from_pulumi_config(pulumi.get_project())
if settings.multicluster is not None:
    multicluster.build(settings)  # one mesh across the clusters it lists
else:
    STACK_BUILDERS[settings.cloud](settings)
