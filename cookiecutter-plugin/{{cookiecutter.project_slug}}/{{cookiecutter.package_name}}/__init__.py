"""The `{{ cookiecutter.plugin_name }}` Empathy plugin (distribution `{{ cookiecutter.project_slug }}`)."""

__version__ = "{{ cookiecutter.version }}"
