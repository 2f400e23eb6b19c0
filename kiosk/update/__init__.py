"""The kiosk's updates: releases verified against central's TUF repository."""
