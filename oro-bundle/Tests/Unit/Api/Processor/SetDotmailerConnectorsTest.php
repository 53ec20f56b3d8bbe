<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Bundle\IntegrationBundle\Manager\TypesRegistry;
use Oro\Bundle\IntegrationBundle\Provider\ConnectorInterface;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\SetDotmailerConnectors;
use Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\ApiForms;

/**
 * The connectors of an integration written through the API, as OroCRMDotmailerBundle's
 * Form/Extension/ChannelConnectorsExtension::onPostSubmit sets them in the UI.
 */
final class SetDotmailerConnectorsTest extends TestCase
{
    /**
     * The connectors OroCRMDotmailerBundle tags with channel_type "dotmailer", in the order of its
     * Resources/config/services.yml (873def61, lines 424-502; 22c44ad5 (5.1), lines 426-504).
     */
    private const DOTMAILER_CONNECTORS = [
        'address_book',
        'campaign',
        'contact',
        'unsubscribed_contact',
        'activity_contact',
        'campaign_summary',
        'contact_export',
        'datafield',
        'campaign_click',
        'campaign_open',
    ];

    private TypesRegistry $registry;

    protected function setUp(): void
    {
        $this->registry = new TypesRegistry();
        foreach (self::DOTMAILER_CONNECTORS as $type) {
            $this->registry->addConnectorType($type, 'dotmailer', $this->connector($type . ' label'));
        }
        $this->registry->addConnectorType('order', 'magento2', $this->connector('magento2 orders'));
    }

    public function testACreatedDotmailerIntegrationGetsEveryRegisteredConnector(): void
    {
        $channel = new Channel();
        $this->submit($channel, ['name' => 'EMEA', 'type' => 'dotmailer']);

        self::assertSame(
            [
                'address_book',
                'campaign',
                'contact',
                'unsubscribed_contact',
                'activity_contact',
                'campaign_summary',
                'contact_export',
                'datafield',
                'campaign_click',
                'campaign_open',
            ],
            $channel->getConnectors()
        );
    }

    public function testAnUpdateResetsThemToTheRegisteredOnesAsTheFormDoes(): void
    {
        $channel = new Channel();
        $channel->setType('dotmailer');
        $channel->setConnectors(['contact']);
        $this->submit($channel, ['name' => 'EMEA renamed']);

        self::assertSame(self::DOTMAILER_CONNECTORS, $channel->getConnectors());
        self::assertSame('EMEA renamed', $channel->getName());
    }

    public function testAnIntegrationOfAnotherTypeIsLeftAlone(): void
    {
        $channel = new Channel();
        $this->submit($channel, ['name' => 'Shop', 'type' => 'magento2']);

        self::assertSame([], $channel->getConnectors());
    }

    private function submit(Channel $channel, array $data): void
    {
        $form = ApiForms::create($channel, ['name', 'type'], ['post_submit' => new SetDotmailerConnectors($this->registry)]);
        $form->submit($data, false);
    }

    private function connector(string $label): ConnectorInterface
    {
        return new class ($label) implements ConnectorInterface {
            public function __construct(private string $label)
            {
            }

            public function getLabel()
            {
                return $this->label;
            }
        };
    }
}
