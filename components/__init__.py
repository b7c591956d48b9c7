"""One ComponentResource per concept of the mesh, each with a typed Args class."""
