"""Software updates: signed releases (TUF), served by central to kiosks."""
