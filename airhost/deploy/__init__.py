"""Side effects that bring an environment to its rendered state: the deploy pipeline."""
