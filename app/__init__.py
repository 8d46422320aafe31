"""Cunxin (村信): the lending platform of a rural credit cooperative."""
