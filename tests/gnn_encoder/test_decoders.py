import pytest
import torch
import torch.nn.functional as F

from gnn_encoder.decoders import (
    CosineDecoder,
    InBatchDecoder,
    link_loss,
    make_decoder,
    score_matrix,
)


def test_cosine_and_dot_by_hand():
    m = torch.tensor([[1.0, 0.0], [3.0, 4.0]])
    j = torch.tensor([[0.0, 2.0], [6.0, 8.0]])
    cos = CosineDecoder(init_scale=2.0)
    torch.testing.assert_close(cos(m, j), torch.tensor([0.0, 2.0]))  # 2 * cos + 0
    torch.testing.assert_close(InBatchDecoder()(m, j), torch.tensor([0.0, 50.0]))


def test_inbatch_decoder_of_the_config_scales_the_dot_product_by_root_dim():
    m, j = torch.full((1, 16), 0.5), torch.full((1, 16), 2.0)
    torch.testing.assert_close(make_decoder("inbatch", 16)(m, j), torch.tensor([16.0 / 4]))


def test_inbatch_loss_adds_in_batch_negatives_by_hand():
    m = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    j = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
    y = torch.tensor([1.0, 1.0])
    pair = F.binary_cross_entropy_with_logits(torch.tensor([2.0, 3.0]), y)
    matrix = F.binary_cross_entropy_with_logits(
        torch.tensor([[2.0, 0.0], [0.0, 3.0]]), torch.eye(2)
    )
    torch.testing.assert_close(link_loss(InBatchDecoder(), m, j, y), pair + matrix)


def test_inbatch_loss_does_not_count_a_shared_positive_job_as_a_negative():
    """Members 0 and 1 both applied to job 7: (member 1, job 7) is no in-batch negative."""
    m = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    j = torch.tensor([[2.0, 0.0], [2.0, 0.0], [0.0, 3.0]])  # rows 0 and 1: the same job
    y = torch.ones(3)
    members, jobs = torch.tensor([0, 1, 2]), torch.tensor([7, 7, 9])
    pair = F.binary_cross_entropy_with_logits(InBatchDecoder()(m, j), y)
    logits = m @ j.T
    target = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    expected = pair + F.binary_cross_entropy_with_logits(logits, target)
    got = link_loss(InBatchDecoder(), m, j, y, members, jobs)
    torch.testing.assert_close(got, expected)
    naive = link_loss(InBatchDecoder(), m, j, y)  # diagonal only: counts the hit as negative
    assert not torch.isclose(got, naive)


@pytest.mark.parametrize("name", ["mlp", "cosine", "inbatch"])
def test_score_matrix_equals_pairwise_scores(name):
    torch.manual_seed(0)
    dec = make_decoder(name, 6)
    m, j = torch.randn(5, 6), torch.randn(7, 6)
    full = score_matrix(dec, m, j, chunk=2)
    pairwise = dec(m[:, None, :].expand(5, 7, 6), j[None].expand(5, 7, 6))
    torch.testing.assert_close(full, pairwise, atol=1e-5, rtol=1e-5)


def test_unknown_decoder_is_refused():
    with pytest.raises(ValueError, match="gnn.decoder"):
        make_decoder("bilinear", 4)


@pytest.mark.parametrize("name", ["mlp", "cosine", "inbatch"])
def test_the_frozen_decoder_scores_as_the_torch_decoder(name):
    """What the rankers receive (linksage.feature_store.decoder) is the GNN's own logit."""
    from gnn_encoder.decoders import frozen_decoder

    torch.manual_seed(0)
    decoder = make_decoder(name, 4)
    m, j = torch.randn(16, 4), torch.randn(16, 4)
    frozen = frozen_decoder(decoder, "v1")
    assert frozen.kind == name and frozen.model_version == "v1"
    with torch.no_grad():
        expected = decoder(m, j).numpy()
    got = frozen.logits(m.numpy(), j.numpy())
    assert got.shape == expected.shape
    torch.testing.assert_close(
        torch.from_numpy(got), torch.from_numpy(expected), atol=1e-5, rtol=1e-5
    )
