"""User-facing entry points: the command line and the Gradio app. No model code lives here."""
