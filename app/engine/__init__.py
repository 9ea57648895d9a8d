"""Qt-free compute: the engine thread, its tasks and the models they use."""
