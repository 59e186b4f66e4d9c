"""The content core: read a writer's YAML into a located model, and compile it into a bundle."""
