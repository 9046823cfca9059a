import pytest

from empathy_core import PricingError, Usage, default_table, parse_config


def test_table_is_dated_and_sourced():
    table = default_table()
    assert table.taken
    assert "pricing" in table.source


@pytest.mark.parametrize(
    ("model", "price_in", "price_out"),
    [
        ("claude-haiku-4-5", 1.0, 5.0),
        ("claude-sonnet-4-5", 3.0, 15.0),
        ("claude-sonnet-4-6", 3.0, 15.0),
        ("claude-opus-4-5", 5.0, 25.0),
        ("claude-opus-4-6", 5.0, 25.0),
    ],
)
def test_plain_cost_per_million_tokens(model, price_in, price_out):
    usage = Usage(input_tokens=1_000_000, output_tokens=2_000_000)
    assert default_table().cost(model, usage) == pytest.approx(price_in + 2 * price_out, abs=1e-12)


def test_cache_and_batch_multipliers_are_exact():
    usage = Usage(
        input_tokens=1000,
        output_tokens=500,
        cache_write_5m_tokens=2000,
        cache_write_1h_tokens=3000,
        cache_read_tokens=4000,
    )
    expected = (1000 * 3 + 500 * 15 + 2000 * 3 * 1.25 + 3000 * 3 * 2 + 4000 * 3 * 0.1) / 1e6
    table = default_table()
    assert table.cost("claude-sonnet-4-6", usage) == pytest.approx(expected, abs=1e-9)
    assert table.cost("claude-sonnet-4-6", usage, batch=True) == pytest.approx(expected / 2, abs=1e-9)


def test_date_suffixed_model_ids_price_like_their_base():
    usage = Usage(input_tokens=10, output_tokens=10)
    table = default_table()
    assert table.cost("claude-haiku-4-5-20251001", usage) == table.cost("claude-haiku-4-5", usage)


def test_unknown_model_is_an_error_not_zero():
    with pytest.raises(PricingError, match="no price for model 'claude-imaginary-9'"):
        default_table().cost("claude-imaginary-9", Usage(input_tokens=1))


def test_yaml_overrides_prices(tmp_path):
    config = parse_config(
        "pricing:\n  claude-sonnet-4-6: {input: 2.0, output: 10.0}\n  my-model: {input: 1.0, output: 1.0}\n",
        tmp_path / "empathy.config.yml",
    )
    table = config.price_table()
    assert table.cost("claude-sonnet-4-6", Usage(input_tokens=1_000_000)) == pytest.approx(2.0)
    assert table.cost("my-model", Usage(output_tokens=1_000_000)) == pytest.approx(1.0)
    assert default_table().cost("claude-sonnet-4-6", Usage(input_tokens=1_000_000)) == pytest.approx(3.0)
