"""`voicebot`: the command line for clinic staff and developers (a thin shell over the services)."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="voicebot")
def main() -> None:
    """voicebot: the medical practice's telephone agent, run on the practice's own machine."""


def _register() -> None:
    from voicebot.commands import (
        appointments,
        bench,
        call,
        calls,
        chat,
        clinic,
        models,
        privacy,
        requests,
        serve,
        slots,
        sms,
        softphone,
        staff,
    )

    modules = (
        clinic,
        slots,
        appointments,
        requests,
        sms,
        calls,
        privacy,
        chat,
        bench,
        serve,
        staff,
        models,
        call,
        softphone,
    )
    for module in modules:
        module.register(main)


_register()
