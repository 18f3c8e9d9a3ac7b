"""PredSim's default fibre types and specific tensions of the gait2392 / Falisse 2022 muscles.

Muscle (without its side suffix ``_r`` / ``_l``) -> (fraction of slow-twitch
fibres (-), specific tension (MPa)). The numbers are those PredSim uses by
default (KU Leuven, github.com/KULeuvenNeuromechanics/PredSim,
``PreProcessing/getSlowTwitchRatios.m`` and
``PreProcessing/default_specific_tensions.csv``): the fibre-type
fractions are those Uchida et al. 2016 (PLoS ONE 11:e0150378) collected;
tabulated here as data, with no code taken from PredSim. Both sides share
one entry (PredSim's tables are symmetric). The trunk muscles (``ercspn``,
``intobl``, ``extobl``) carry PredSim's 0.25 MPa.
"""
from __future__ import annotations

#: muscle without side -> (slow_twitch_fraction, specific_tension_MPa)
PREDSIM_MUSCLES = {
    "glut_med1": (0.55, 0.74455),
    "glut_med2": (0.55, 0.75395),
    "glut_med3": (0.55, 0.75057),
    "glut_min1": (0.55, 0.75),
    "glut_min2": (0.55, 0.75),
    "glut_min3": (0.55, 0.75116),
    "semimem": (0.4925, 0.62524),
    "semiten": (0.425, 0.62121),
    "bifemlh": (0.5425, 0.62222),
    "bifemsh": (0.529, 1.005),
    "sar": (0.5, 0.74286),
    "add_mag1": (0.552, 0.55217),
    "add_mag2": (0.552, 0.55323),
    "add_mag3": (0.552, 0.54831),
    "tfl": (0.5, 0.75161),
    "pect": (0.5, 0.76),
    "grac": (0.5, 0.73636),
    "glut_max1": (0.55, 0.75395),
    "glut_max2": (0.55, 0.74455),
    "glut_max3": (0.55, 0.74595),
    "iliacus": (0.5, 1.2477),
    "psoas": (0.5, 1.5041),
    "quad_fem": (0.5, 0.74706),
    "gem": (0.5, 0.74545),
    "peri": (0.5, 0.75254),
    "rect_fem": (0.3865, 0.74936),
    "vas_med": (0.503, 0.49961),
    "vas_int": (0.543, 0.55263),
    "vas_lat": (0.455, 0.50027),
    "med_gas": (0.566, 0.69865),
    "lat_gas": (0.507, 0.69694),
    "soleus": (0.803, 0.62703),
    "tib_post": (0.6, 0.6252),
    "flex_dig": (0.6, 0.5),
    "flex_hal": (0.6, 0.50313),
    "tib_ant": (0.7, 0.75417),
    "per_brev": (0.6, 0.62143),
    "per_long": (0.6, 0.6245),
    "per_tert": (0.75, 1.0),
    "ext_dig": (0.75, 0.75294),
    "ext_hal": (0.75, 0.73636),
    "ercspn": (0.6, 0.25),
    "intobl": (0.56, 0.25),
    "extobl": (0.58, 0.25),
    "add_long": (0.5, 0.74643),
    "add_brev": (0.5, 0.75263),
    "hamstrings": (0.5425, 0.6236),
    "glut_max": (0.55, 0.7477),
    "iliopsoas": (0.5, 1.3782),
    "vasti": (0.543, 0.5159),
    "gastroc": (0.566, 0.6981),
}


def predsim_properties(muscle: str) -> tuple[float, float] | None:
    """(slow-twitch fraction, specific tension in Pa) of ``muscle`` (``soleus_r``), or None."""
    base = muscle[:-2] if muscle.endswith(("_r", "_l")) else muscle
    entry = PREDSIM_MUSCLES.get(base)
    return None if entry is None else (entry[0], entry[1] * 1e6)
