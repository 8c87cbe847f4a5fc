"""gRPC servicers: thin adapters between protobuf messages and the domain layer."""
