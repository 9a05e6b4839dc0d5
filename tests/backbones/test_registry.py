import pytest

from hybridvision.backbones import BACKBONES, Registry, RegistryError


def make_registry():
    registry = Registry("widget")

    @registry.register("round_small", size=1)
    def round_small(radius: int = 1):
        return ("round", radius)

    registry.register("square_small", lambda side=2: ("square", side))
    registry.register_prefix("ext", lambda rest, **kw: ("ext", rest, kw))
    return registry


def test_register_build_and_metadata():
    registry = make_registry()
    assert registry.build("round_small", radius=3) == ("round", 3)
    assert registry.entry("round_small").metadata == {"size": 1}
    assert "round_small" in registry and "nothing" not in registry


def test_glob_lists_matching_names_and_prefix_sources():
    registry = make_registry()
    assert registry.names("*_small") == ["round_small", "square_small"]
    assert registry.names("ext:*") == ["ext:<name>"]


def test_prefix_source_builds_any_name_after_the_prefix():
    assert make_registry().build("ext:anything", a=1) == ("ext", "anything", {"a": 1})


def test_duplicate_name_raises():
    registry = make_registry()
    with pytest.raises(RegistryError, match="already registered"):
        registry.register("round_small", lambda: None)


def test_unknown_name_lists_the_closest_names():
    with pytest.raises(RegistryError, match="unknown widget 'round_smal'.*closest: round_small"):
        make_registry().build("round_smal")


def test_unknown_keyword_names_the_entry():
    with pytest.raises(TypeError, match="widget 'round_small'.*colour"):
        make_registry().build("round_small", colour="red")


def test_backbone_registry_lists_every_family_in_every_size():
    for family in ("swin", "convnext", "hybrid"):
        assert BACKBONES.names(f"{family}_*") == [f"{family}_{s}" for s in ("base", "small", "test", "tiny")]
        assert BACKBONES.entry(f"{family}_test").metadata["support"].spatial_dims == (2, 3)
    assert "timm:resnet18" in BACKBONES
