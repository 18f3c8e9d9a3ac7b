"""Filtering, resampling and EMG processing, each against a closed form."""
import math

import numpy as np
import pytest
from scipy import signal

from ocp import data
from ocp.data import DataError, Table


def amplitude_at(x, rate_hz, frequency_hz):
    """Amplitude of the sinusoid at ``frequency_hz`` in ``x`` (Hann-windowed DFT)."""
    x = np.asarray(x, float) - np.mean(x)
    window = np.hanning(x.size)
    spectrum = np.fft.rfft(x * window)
    freqs = np.fft.rfftfreq(x.size, 1.0 / rate_hz)
    return 2.0 * abs(spectrum[np.argmin(abs(freqs - frequency_hz))]) / window.sum()


def force_plate_like(rate_hz=600.0, duration_s=4.0):
    """700 N + a 5 Hz movement component + 50 Hz content above the 30 Hz Nyquist of 60 Hz."""
    t = np.arange(round(rate_hz * duration_s)) / rate_hz
    x = 700.0 + 100.0 * np.sin(2 * np.pi * 5.0 * t) + 50.0 * np.sin(2 * np.pi * 50.0 * t)
    return Table(t, x, ("fy",), ("N",), rate_hz)


def test_naive_decimation_aliases_and_resampling_does_not():
    """600 -> 60 Hz: keeping every 10th sample folds 50 Hz onto |50 - 60| = 10 Hz.

    The input has no 10 Hz content at all, so whatever appears there is alias.
    """
    grf = force_plate_like()
    naive = grf.values[::10, 0]
    ours = data.resample(grf, 60.0)
    at = data.resample_at(grf, grf.time_s[::10])
    assert ours.rate_hz == 60.0 and ours.n_samples == naive.size
    np.testing.assert_allclose(ours.time_s, grf.time_s[::10], atol=1e-12)

    alias_naive = amplitude_at(naive, 60.0, 10.0)
    alias_ours = amplitude_at(ours.values[:, 0], 60.0, 10.0)
    alias_at = amplitude_at(at.values[:, 0], 60.0, 10.0)
    print(f"\n10 Hz alias of 50 N at 50 Hz: naive {alias_naive:.3g} N, resample "
          f"{alias_ours:.2g} N, resample_at {alias_at:.2g} N")
    assert alias_naive == pytest.approx(50.0, rel=1e-3)      # the full 50 N, folded
    assert alias_ours < 50.0 * 1e-3                           # > 60 dB below
    assert alias_at < 50.0 * 1e-3
    for resampled in (ours.values[:, 0], at.values[:, 0]):   # the movement is kept
        assert amplitude_at(resampled, 60.0, 5.0) == pytest.approx(100.0, rel=1e-3)
        assert np.mean(resampled[12:-12]) == pytest.approx(700.0, rel=1e-6)  # 18 periods


def test_two_resampling_methods_agree_inside_the_record():
    """Polyphase resampling and FIR-then-spline are two methods for the same thing."""
    grf = force_plate_like()
    a = data.resample(grf, 60.0).values[:, 0]
    b = data.resample_at(grf, grf.time_s[::10]).values[:, 0]
    inner = slice(12, -12)  # the filters' ends differ: 0.2 s
    np.testing.assert_allclose(a[inner], b[inner], atol=0.1)  # of 100 N


def test_upsampling_interpolates_a_band_limited_signal():
    t = np.arange(200) / 100.0
    slow = Table(t, np.sin(2 * np.pi * 3 * t), ("x",), rate_hz=100.0)
    fine = data.resample(slow, 1000.0)
    assert fine.rate_hz == 1000.0 and fine.time_s[-1] <= t[-1]
    inner = slice(200, -200)
    np.testing.assert_allclose(fine.values[inner, 0],
                               np.sin(2 * np.pi * 3 * fine.time_s[inner]), atol=1e-3)


def test_zero_phase_butterworth_is_3db_down_at_the_stated_cutoff_without_lag():
    """The cut-off is that of the forward-backward pair (Winter's correction).

    Without the correction the pair is 6 dB down at the design frequency.
    """
    rate, cutoff = 200.0, 6.0
    t = np.arange(4000) / rate
    inner = slice(1000, 3000)
    at_cutoff = np.sin(2 * np.pi * cutoff * t)
    out = data.zero_phase(at_cutoff, rate, cutoff)
    gain = np.max(np.abs(out[inner]))
    assert gain == pytest.approx(1 / math.sqrt(2), rel=1e-3)
    # No lag: the output is the input scaled (a least-squares fit leaves nothing).
    np.testing.assert_allclose(out[inner], gain * at_cutoff[inner], atol=2e-3)
    sos = signal.butter(2, cutoff, fs=rate, output="sos")
    uncorrected = np.max(np.abs(signal.sosfiltfilt(sos, at_cutoff)[inner]))
    assert uncorrected == pytest.approx(0.5, rel=1e-3)
    slow = np.sin(2 * np.pi * 1.0 * t)
    np.testing.assert_allclose(data.zero_phase(slow, rate, cutoff)[inner], slow[inner],
                               atol=2e-3)
    high = data.zero_phase(at_cutoff, rate, cutoff, kind="highpass")
    assert np.max(np.abs(high[inner])) == pytest.approx(1 / math.sqrt(2), rel=1e-3)


def test_emg_envelope_is_the_mean_of_the_rectified_signal():
    """EMG modelled as Gaussian noise of slowly varying standard deviation s(t).

    After band-pass, the envelope is E|e| = sqrt(2/pi) * s_bp(t) (the mean of
    a rectified Gaussian), where s_bp is the noise's standard deviation in
    the band; a DC offset and a 2 Hz movement artefact ten times the EMG do
    not get through.
    """
    rate = 2000.0
    rng = np.random.default_rng(3)
    t = np.arange(round(8 * rate)) / rate
    s = 1.0 + 0.8 * np.sin(2 * np.pi * 0.5 * t)            # mV, slow modulation
    noise = rng.standard_normal(t.size)
    raw = s * noise + 0.5 + 10.0 * np.sin(2 * np.pi * 2.0 * t)
    envelope = data.linear_envelope(raw, rate)
    # the band-limited level of unit noise, through the same band-pass
    band_sd = np.std(data.zero_phase(noise, rate, (20.0, 450.0), "bandpass"))
    expected = math.sqrt(2 / math.pi) * band_sd * s
    inner = slice(2000, -2000)
    ratio = envelope[inner] / expected[inner]
    print(f"\nenvelope / expected: mean {ratio.mean():.4f}, sd {ratio.std():.3f}")
    assert ratio.mean() == pytest.approx(1.0, abs=0.02)
    assert np.corrcoef(envelope[inner], expected[inner])[0, 1] > 0.97
    table = Table(t, np.column_stack([raw, 2 * raw]), ("soleus", "gastroc"), ("mV", "mV"))
    normalised = data.emg_envelopes(table)
    assert normalised.units == ("-", "-")
    assert np.max(normalised.values, axis=0) == pytest.approx([1.0, 1.0])
    np.testing.assert_allclose(normalised.column("soleus"), normalised.column("gastroc"),
                               atol=1e-12)
    mvc = table.replace(values=2 * table.values)
    np.testing.assert_allclose(np.max(data.emg_envelopes(table, mvc=mvc).values, axis=0),
                               0.5, rtol=1e-9)


@pytest.mark.parametrize("cutoff", [None, 6.0])
def test_acceleration_noise_gain_matches_white_noise_through_the_strategy(cutoff):
    """The closed form of the amplification of position noise into accelerations."""
    rate = 200.0
    t = np.arange(4000) / rate
    rng = np.random.default_rng(11)
    noise = rng.standard_normal((t.size, 8))
    strategy = data.FiniteDifferences() if cutoff is None else data.LowpassSpline(cutoff)
    _, _, qdd = strategy.derivatives(t, noise)
    measured = np.std(qdd[200:-200])
    predicted = data.acceleration_noise_gain(rate, cutoff)
    print(f"\ncut-off {cutoff}: noise gain measured {measured:.4g}, predicted {predicted:.4g}")
    assert measured == pytest.approx(predicted, rel=0.05)


def test_filters_and_resampling_refuse_gaps_and_impossible_cutoffs():
    t = np.arange(100) / 100.0
    x = np.sin(t)
    x[40] = np.nan
    table = Table(t, np.column_stack([np.cos(t), x]), ("ok", "gappy"), source="trial.trc")
    with pytest.raises(DataError, match=r"trial.trc: column 'gappy': has missing samples"):
        data.lowpass(table, 6.0)
    with pytest.raises(DataError, match=r"trial.trc: column 'gappy': has missing samples"):
        data.resample(table, 50.0)
    with pytest.raises(DataError, match=r"column 'ok': cut-off 60 Hz must lie between 0 and "
                                        r"the Nyquist frequency 50 Hz"):
        data.lowpass(table, 60.0, columns=["ok"])
    irregular = Table(np.cumsum(np.r_[0, np.full(20, 0.01), np.full(20, 0.02)]),
                      np.zeros(41), ("x",), source="log.csv")
    assert irregular.rate_hz is None
    with pytest.raises(DataError, match="log.csv: column 'time': resampling needs uniformly"):
        data.resample(irregular, 10.0)
    with pytest.raises(DataError, match="reach outside the data"):
        data.resample_at(table.select(["ok"]), [0.5, 1.5])
