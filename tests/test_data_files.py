"""Data files: every format written and read back, and bad files named with their column."""
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ocp import data
from ocp.data import DataError, Table

RNG = np.random.default_rng(7)


def markers_table(n=40, rate=100.0):
    t = 0.25 + np.arange(n) / rate
    values = RNG.normal(500.0, 200.0, size=(n, 6))
    values[5:8, 3:6] = np.nan  # marker b occluded for three frames
    return Table(t, values, ("a_x", "a_y", "a_z", "b_x", "b_y", "b_z"), ("mm",) * 6, rate)


def mixed_table(n=50, rate=200.0):
    t = np.arange(n) / rate
    return Table(t, np.column_stack([np.sin(t) * 0.7, np.cos(3 * t), 100 * t, -t]),
                 ("hip_flexion", "hip_flexion_speed", "ground_force_vy", "pelvis_tx"),
                 ("rad", "rad/s", "N", "m"), rate)


def assert_same(a: Table, b: Table):
    assert a.columns == b.columns
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.values, b.values)  # NaN == NaN here
    assert a.rate_hz == pytest.approx(b.rate_hz)


# -- round trips -----------------------------------------------------------------

def test_trc_round_trip_keeps_values_gaps_rate_and_units(tmp_path):
    table = markers_table()
    back = data.read(data.write(tmp_path / "m.trc", table))
    assert_same(table, back)
    assert back.units == ("mm",) * 6
    assert back.metadata["markers"] == ["a", "b"]
    assert np.isnan(back.column("b_y")[5:8]).all()


def test_trc_with_empty_fields_for_an_occluded_marker(tmp_path):
    """As motion-capture software writes them: empty fields, a trailing tab."""
    rows = ["PathFileType\t4\t(X/Y/Z)\tx.trc",
            "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
            "OrigDataStartFrame\tOrigNumFrames",
            "60.00\t60.00\t3\t2\tmm\t60.00\t1\t3",
            "Frame#\tTime\tHEEL\t\t\tTOE\t\t",
            "\t\tX1\tY1\tZ1\tX2\tY2\tZ2",
            "",
            "1\t0.000\t1.5\t2.5\t3.5\t4\t5\t6\t",
            "2\t0.017\t1.6\t2.6\t3.6\t\t\t\t",
            "3\t0.033\t1.7\t2.7\t3.7\t4.2\t5.2\t6.2\t"]
    (tmp_path / "x.trc").write_text("\n".join(rows) + "\n")
    table = data.read(tmp_path / "x.trc")
    assert table.rate_hz == 60.0 and table.metadata["markers"] == ["HEEL", "TOE"]
    assert np.isnan(table.values[1, 3:]).all() and not np.isnan(table.values[[0, 2]]).any()
    np.testing.assert_allclose(table.column("TOE_z"), [6.0, np.nan, 6.2])


@pytest.mark.parametrize("suffix", [".sto", ".mot"])
def test_storage_round_trip_is_exact_in_si(tmp_path, suffix):
    table = mixed_table()
    back = data.read(data.write(tmp_path / f"x{suffix}", table))
    assert back.columns == table.columns
    np.testing.assert_array_equal(back.time_s, table.time_s)
    for c in table.columns:  # .mot stores angles in degrees: compare in SI
        np.testing.assert_allclose(back.column_in(c, table.unit(c)), table.column(c),
                                   rtol=1e-15, atol=1e-15)
    assert back.metadata["in_degrees"] is (suffix == ".mot")
    expected_units = ("deg", "deg/s", "N", "m") if suffix == ".mot" else table.units
    assert back.units == expected_units


def test_csv_round_trip_with_units_in_the_header(tmp_path):
    table = markers_table()
    back = data.read(data.write(tmp_path / "m.csv", table))
    assert_same(table, back)
    assert back.units == table.units


def test_plain_csv_of_numpy_savetxt_reads(tmp_path):
    t = np.linspace(0, 1, 11)
    np.savetxt(tmp_path / "r.csv", np.column_stack([t, t ** 2]), delimiter=",",
               header="time,x", comments="")
    table = data.read(tmp_path / "r.csv")
    assert table.columns == ("x",) and table.rate_hz == pytest.approx(10.0)
    np.testing.assert_allclose(table.column("x"), t ** 2, rtol=1e-15)


def test_c3d_made_in_the_test_reads_with_both_rates(tmp_path):
    """A C3D written by ezc3d itself: 100 Hz markers in mm, 1000 Hz analogs."""
    ezc3d = pytest.importorskip("ezc3d")
    n, ratio = 30, 10
    c3d = ezc3d.c3d()
    c3d["parameters"]["POINT"]["RATE"]["value"] = [100.0]
    c3d["parameters"]["POINT"]["LABELS"]["value"] = ("heel", "toe")
    c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
    points = np.ones((4, 2, n))
    points[:3] = RNG.normal(0, 300, size=(3, 2, n))
    c3d["data"]["points"] = points
    c3d["parameters"]["ANALOG"]["RATE"]["value"] = [1000.0]
    c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ("Fz", "EMG_soleus")
    c3d["parameters"]["ANALOG"]["UNITS"]["value"] = ["N", "V"]
    analogs = RNG.normal(0, 1, size=(1, 2, n * ratio))
    c3d["data"]["analogs"] = analogs
    c3d.write(str(tmp_path / "trial.c3d"))

    content = data.read_c3d(tmp_path / "trial.c3d")
    pts, ana = content.points, content.analogs
    assert pts.rate_hz == 100.0 and ana.rate_hz == 1000.0
    assert pts.columns == ("heel_x", "heel_y", "heel_z", "toe_x", "toe_y", "toe_z")
    assert pts.units == ("mm",) * 6 and ana.units == ("N", "V")
    assert pts.n_samples == n and ana.n_samples == n * ratio
    assert ana.time_s[ratio] == pytest.approx(pts.time_s[1])  # same clock
    # C3D stores 32-bit floats.
    np.testing.assert_allclose(pts.column("toe_y"), points[1, 1], rtol=1e-6)
    np.testing.assert_allclose(ana.column("EMG_soleus"), analogs[0, 1], rtol=1e-6, atol=1e-7)
    assert set(data.read_tables(tmp_path / "trial.c3d")) == {"points", "analogs"}


def test_c3d_writer_round_trip_marks_occluded_markers(tmp_path):
    pytest.importorskip("ezc3d")
    markers = markers_table(n=20, rate=100.0)
    analogs = Table(markers.time_s[0] + np.arange(200) / 1000.0, RNG.normal(size=(200, 1)),
                    ("emg",), ("V",), 1000.0)
    content = data.read_c3d(data.write_c3d(tmp_path / "w.c3d", markers, analogs))
    assert np.isnan(content.points.column("b_x")[5:8]).all()
    np.testing.assert_allclose(content.points.values, markers.values, rtol=1e-6)
    np.testing.assert_allclose(content.analogs.values, analogs.values, rtol=1e-6, atol=1e-7)


OPENSIM_READER = textwrap.dedent("""
    import json, sys
    import opensim as osim
    out = {}
    for path in sys.argv[1:3]:
        table = osim.TimeSeriesTable(path)
        out[path] = {"labels": list(table.getColumnLabels()),
                     "hip": list(table.getDependentColumn("hip_flexion").to_numpy()),
                     "in_degrees": table.getTableMetaDataAsString("inDegrees")}
    markers = osim.TimeSeriesTableVec3(sys.argv[3])
    row = markers.getRowAtIndex(0)
    out["trc"] = {"labels": list(markers.getColumnLabels()),
                  "rate": markers.getTableMetaDataAsString("DataRate"),
                  "units": markers.getTableMetaDataAsString("Units"),
                  "a0": [row[0].get(i) for i in range(3)]}
    print(json.dumps(out))
""")


def test_opensim_reads_what_we_write(tmp_path):
    """OpenSim's own readers (a second implementation) read our .sto, .mot and .trc.

    OpenSim runs in its own process: its wheel bundles a CasADi that cannot
    share a process with the casadi package.
    """
    probe = subprocess.run([sys.executable, "-c", "import opensim"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("opensim is not installed")
    table = mixed_table()
    sto, mot = data.write(tmp_path / "x.sto", table), data.write(tmp_path / "x.mot", table)
    markers = markers_table()
    trc = data.write(tmp_path / "m.trc", markers)
    result = subprocess.run([sys.executable, "-c", OPENSIM_READER, str(sto), str(mot), str(trc)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out[str(sto)]["labels"] == list(table.columns)
    np.testing.assert_allclose(out[str(sto)]["hip"], table.column("hip_flexion"), rtol=1e-14)
    np.testing.assert_allclose(out[str(mot)]["hip"], np.degrees(table.column("hip_flexion")),
                               rtol=1e-14)
    assert (out[str(sto)]["in_degrees"], out[str(mot)]["in_degrees"]) == ("no", "yes")
    assert out["trc"]["labels"] == ["a", "b"] and out["trc"]["units"] == "mm"
    assert float(out["trc"]["rate"]) == 100.0
    np.testing.assert_allclose(out["trc"]["a0"], markers.values[0, :3], rtol=1e-14)


# -- units ---------------------------------------------------------------------

def test_opensim_names_give_units_and_degrees_stay_degrees_until_asked():
    table = Table([0.0], [[10.0, 0.5, 700.0]], ("knee_angle_r", "pelvis_tx",
                                                "ground_force_vy"), ("deg", "m", "N"))
    assert table.column_in("knee_angle_r", "rad")[0] == pytest.approx(math.radians(10.0))
    assert table.column_in("pelvis_tx", "mm")[0] == pytest.approx(500.0)
    with pytest.raises(DataError, match=r"column 'ground_force_vy'.*'N'.*'rad'"):
        table.column_in("ground_force_vy", "rad")


# -- bad input -------------------------------------------------------------------

def test_truncated_trc_is_reported(tmp_path):
    path = data.write(tmp_path / "m.trc", markers_table())
    text = path.read_text()
    (tmp_path / "cut.trc").write_text(text[: len(text) * 2 // 3])
    with pytest.raises(DataError, match=r"cut.trc.*(truncated|frames)"):
        data.read(tmp_path / "cut.trc")


def test_truncated_mot_names_the_file_and_the_missing_column(tmp_path):
    path = data.write(tmp_path / "x.mot", mixed_table())
    text = path.read_text().rstrip("\n")
    last = text.rsplit("\n", 1)[1]
    cut = text[: len(text) - len(last)] + "\t".join(last.split("\t")[:2])
    (tmp_path / "cut.mot").write_text(cut + "\n")
    with pytest.raises(DataError, match=r"cut.mot: column 'hip_flexion_speed': .*truncated"):
        data.read(tmp_path / "cut.mot")


def test_mot_with_fewer_rows_than_its_header_says(tmp_path):
    path = data.write(tmp_path / "x.mot", mixed_table())
    lines = path.read_text().splitlines()
    (tmp_path / "short.mot").write_text("\n".join(lines[:-5]) + "\n")
    with pytest.raises(DataError, match=r"short.mot: the header says 50 rows, the file "
                                        r"holds 45"):
        data.read(tmp_path / "short.mot")


def test_storage_without_endheader_is_not_taken_for_data(tmp_path):
    (tmp_path / "x.sto").write_text("name\nversion=1\ntime\ta\n0\t1\n")
    with pytest.raises(DataError, match="x.sto: no 'endheader'"):
        data.read(tmp_path / "x.sto")


def test_binary_garbage_is_not_a_text_file(tmp_path):
    (tmp_path / "x.mot").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="x.mot: not a text file"):
        data.read(tmp_path / "x.mot")


def test_time_going_backwards_names_the_time_column(tmp_path):
    (tmp_path / "x.csv").write_text("time,a\n0,1\n0.1,2\n0.1,3\n0.2,4\n")
    with pytest.raises(DataError, match=r"x.csv: column 'time': .*strictly increasing.*"
                                        r"sample 3"):
        data.read(tmp_path / "x.csv")


def test_a_header_rate_that_disagrees_with_the_time_column(tmp_path):
    table = markers_table(rate=100.0)
    path = data.write(tmp_path / "m.trc", table)
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("100.0", "120.0")
    (tmp_path / "wrong.trc").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"wrong.trc: column 'time': the rate 120 Hz of the "
                                        r"header disagrees with the time column.*100 Hz"):
        data.read(tmp_path / "wrong.trc")


def test_a_dropped_frame_is_a_rate_disagreement(tmp_path):
    table = markers_table(rate=100.0)
    path = data.write(tmp_path / "m.trc", table)
    lines = path.read_text().splitlines()
    del lines[20]
    lines[2] = lines[2].replace(f"\t{table.n_samples}\t", f"\t{table.n_samples - 1}\t")
    (tmp_path / "gap.trc").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="gap.trc: column 'time': the rate 100 Hz"):
        data.read(tmp_path / "gap.trc")


def test_rounded_time_columns_still_count_as_uniform():
    """OpenSim writes 60 Hz as 0.017, 0.033 ...: a quarter period of slack accepts that."""
    t = np.round(np.arange(151) / 60.0, 3)
    assert Table(t, np.zeros(151), ("a",), rate_hz=60.0).rate_hz == 60.0
    assert data.uniform_rate(t) == pytest.approx(60.0)


def test_a_missing_column_is_named_with_a_suggestion():
    with pytest.raises(DataError, match=r"column 'hip_flexon': no column 'hip_flexon'; did "
                                        r"you mean 'hip_flexion'"):
        mixed_table().column("hip_flexon")


def test_bad_numbers_name_line_and_column(tmp_path):
    (tmp_path / "x.csv").write_text("time,a,b\n0,1,2\n0.1,1,two\n")
    with pytest.raises(DataError, match=r"x.csv: column 'b': line 3: 'two' is not a number"):
        data.read(tmp_path / "x.csv")


def test_unreadable_and_truncated_c3d_files(tmp_path):
    pytest.importorskip("ezc3d")
    path = data.write_c3d(tmp_path / "w.c3d", markers_table(n=40, rate=100.0))
    raw = path.read_bytes()
    (tmp_path / "cut.c3d").write_bytes(raw[: len(raw) - 2 * 512])
    with pytest.raises(DataError, match=r"cut.c3d: the header says 40 frames, the file "
                                        r"holds \d+: truncated"):
        data.read_c3d(tmp_path / "cut.c3d")
    (tmp_path / "junk.c3d").write_bytes(b"not a c3d file at all" * 10)
    with pytest.raises(DataError, match="junk.c3d: not a readable C3D file"):
        data.read_c3d(tmp_path / "junk.c3d")


def test_unknown_suffix_lists_the_formats(tmp_path):
    with pytest.raises(DataError, match=r"x.xlsx: unknown data file type.*\.trc"):
        data.read(tmp_path / "x.xlsx")


def test_c3d_without_ezc3d_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ezc3d", None)  # import ezc3d now fails
    with pytest.raises(DataError, match=r"x.c3d: .*needs the ezc3d package: pip install "
                                        r"'ocp-movement\[data\]'"):
        data.read_c3d(tmp_path / "x.c3d")
