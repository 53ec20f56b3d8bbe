<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\CustomizeFormData\CustomizeFormDataContext;
use Oro\Bundle\DotmailerBundle\Provider\ChannelType;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Bundle\IntegrationBundle\Manager\TypesRegistry;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;

/**
 * Gives a dotdigital integration written through the API every connector registered for its type, as the
 * integration form does, so that Oro's sync has something to run.
 *
 * The UI does it in OroCRMDotmailerBundle's Form/Extension/ChannelConnectorsExtension::onPostSubmit: on
 * FormEvents::POST_SUBMIT of a "dotmailer" channel it sets the connectors to all choices of the form's
 * "connectors" field, which oroinc/platform src/Oro/Bundle/IntegrationBundle/Form/EventListener/ChannelFormSubscriber.php
 * fills from TypesRegistry::getAvailableConnectorsTypesChoiceList($type) (connector type => label,
 * src/Oro/Bundle/IntegrationBundle/Manager/TypesRegistry.php). The API never builds that form, and the stock
 * API config excludes "connectors" (IntegrationBundle/Resources/config/oro/api.yml), so without this an
 * API-created integration has no connectors and IntegrationBundle/Provider/SyncProcessor.php runs nothing.
 * It runs on the "post_submit" event of "customize_form_data" for create and update, like the UI listener.
 */
class SetDotmailerConnectors implements ProcessorInterface
{
    private TypesRegistry $typesRegistry;

    public function __construct(TypesRegistry $typesRegistry)
    {
        $this->typesRegistry = $typesRegistry;
    }

    public function process(ContextInterface $context): void
    {
        /** @var CustomizeFormDataContext $context */

        $channel = $context->getForm()->getData();
        if (!$channel instanceof Channel || ChannelType::TYPE !== $channel->getType()) {
            return;
        }
        $channel->setConnectors(
            array_keys($this->typesRegistry->getAvailableConnectorsTypesChoiceList(ChannelType::TYPE))
        );
    }
}
