"""AI block: the Data Science project, notebook, training job and model deployment."""
