"""Domain logic: what Alice does, independent of gRPC and protobuf."""
